"""NetSuite's SuiteTalk REST API as every Cascade service calls it: signed, bounded, quiet."""
