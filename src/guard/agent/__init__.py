"""Agent integrations: Claude Code hooks (claude), their Bash reading (bashparse) and the
settings file they live in (settings)."""
