"""A faithful stand-in for the part of NetSuite's SuiteTalk REST API that Cascade uses."""
