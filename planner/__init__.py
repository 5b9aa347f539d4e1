"""The planner web app: workspaces, scenarios, runs and their results."""
