"""The workflow benchmark: Cascade and its peers on the same new-customer workflow."""
