"""The fault suite: the real stack under faults, a load client, injectors and a checker.

`harness` runs a dedicated stack (its own PostgreSQL and Kafka, every service a process, the
NetSuite simulator, an SMTP sink); `load` drives it and records every answer; `injectors`
break it; `collect` reads what the system left behind; `checker` judges that data (pure).
"""
