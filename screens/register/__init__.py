"""Registration for first-time students: the wizard (screen.py) and its four steps, each in
its own module with what it shows and which of the server's refusals go under its entries:
account.py (1), identity.py (2), codes.py (3), done.py (4); form.py holds the checks of the
first two, text.py the wizard's texts, register.tcss its look."""
