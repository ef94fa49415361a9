"""Province: key fields on the way to the national register (issue 14).

The rooms: ``workflow`` (batches and the province's answers as correction steps),
``policy`` (the policy rules checked at each decision), ``platform_files`` (the submission
file in the platform's layout), ``router`` (the HTTP routes) and ``cli`` (the command line).
"""
