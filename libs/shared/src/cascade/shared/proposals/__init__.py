"""What a run shows Mike before the gate, computed one way for the runner and for an agent's
dry run: the read-only context reader, the precondition rows, the proposal draft and its
presentation."""
