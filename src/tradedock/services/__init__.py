"""The only layer the shells (CLI, API, web, monitor) call. Services flush; shells own transactions."""
