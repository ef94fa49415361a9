"""The API contract: pydantic models for every request and response of ``/api/v1``.

Both sides import these, so the kiosk and the server cannot drift apart. Structural rules
(types, lengths, the 17 keys) live here; rules that need the student's record (a proposed
value against its field validator, the record version) are checked by the server with
:mod:`kiosk.fields`.

The contract is split by area; import from the submodule: ``base`` (headers, limits, base
models, shared value types), ``student``, ``terminal``, ``registration``, ``proof`` (what the
kiosk speaks), ``staff``, ``corrections``, ``imports``, ``progress``, ``province`` (what the
console speaks). Masking is :mod:`kiosk.privacy`, and labels for people are
:mod:`kiosk.catalogue`. This package imports none of its submodules, so the kiosk builds only
the models of the areas it speaks."""
