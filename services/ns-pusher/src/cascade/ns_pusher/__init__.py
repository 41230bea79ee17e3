"""ns_pusher."""
