"""APScheduler setup and job functions; each job calls a bot service."""
