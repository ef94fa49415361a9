"""Proof documents a student photographs on the phone for a correction (issue 14).

The rooms: ``page`` (the signed upload link and its mobile page), ``images`` (cleaning and
storing a photograph) and ``router`` (the staff's list and downloads).
"""
