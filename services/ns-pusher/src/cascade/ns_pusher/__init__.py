"""ns-pusher: pushes staged records to NetSuite under the contract's retry policy."""
