"""Corrections (勘误): from a student's report to the record, and on to the province.

A correction moves through fixed states; every move is one :data:`~server.corrections.workflow.STEPS`
entry, checked against the correction's current state (409 ``invalid_transition`` otherwise),
recorded as a :class:`~server.models.CorrectionEvent` with its comment and proof, and audited.
A college office decides first, and only for its own college; fields that need proof need the
proof it saw. The registrar confirms or rejects; a school field is then applied to the master
record, a key field first goes to the province (:mod:`server.province`). Applying raises
``record_version`` and asks the student to check the changed fields again. Photo errors go to
the photo vendor instead; the new photo's import closes them (:mod:`server.imports`).

The rooms: ``workflow`` (the state machine, four eyes, applying a value), ``queries`` (the
queue's rows, filters and one correction's details), ``exports`` (the 勘误汇总表) and
``router`` (the HTTP routes).
"""
