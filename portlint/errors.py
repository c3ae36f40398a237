"""Errors that end a run with exit code 2 (usage, configuration, ruleset)."""


class PortlintError(Exception):
    """A problem the user must fix before portlint can run; printed as one line."""


class ConfigError(PortlintError):
    pass


class RulesetError(PortlintError):
    def __init__(self, path: str, rule: str | None, reason: str) -> None:
        where = f"{path}: rule {rule}" if rule else path
        super().__init__(f"invalid ruleset {where}: {reason}")
        self.path = path
        self.rule = rule
        self.reason = reason
