"""Check progress: who has checked, reminders for those who have not (issue 15).

The rooms: ``router`` (the progress view and its export), ``table`` (the 核对统计表 as rows),
``reminders`` (reminders on request) and ``nudges`` (the scheduled ones).
"""
