"""How every settings model reads its environment, written once."""

from pydantic_settings import SettingsConfigDict


def settings_config(prefix: str = "CASCADE_", *, ignore_empty: bool = False) -> SettingsConfigDict:
    """The `model_config` of a settings model reading `<prefix>NAME` variables.

    Other variables are ignored (each model reads its own family of one environment), and
    attribute docstrings become the field descriptions the README's settings table is
    generated from. `ignore_empty` reads `NAME=` as unset: for families whose compose file
    passes variables through empty when the operator sets none.
    """
    return SettingsConfigDict(
        env_prefix=prefix,
        extra="ignore",
        env_ignore_empty=ignore_empty,
        use_attribute_docstrings=True,
    )
