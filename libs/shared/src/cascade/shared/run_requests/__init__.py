"""What a run request must be, wherever it comes from (intake's API, its form, its topics,
the approvals page's Execute form): the request shape, the contract's input rules, the plain
messages and the form's reading of people's values. One implementation, so a value refused on
one path is refused, with the same words, on all."""
