"""What operators watch: JSON logs bound to the run being handled (`logs`), and the
Prometheus metrics of every service on `GET /metrics` (`metrics`, `db_gauges`,
`kafka_lag`, `endpoint`). Import the module you need: logging must stay cheap to import
for every module that logs."""
