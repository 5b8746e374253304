"""HTTP API (FastAPI, JSON under ``/api/v1``): a thin shell over `tradedock.services`.

Modules: ``app`` (create_app: routers, middleware, lifespan, OpenAPI), ``deps`` (who is calling, pagination),
``security`` (CSRF, access log), ``problems`` (problem+json errors), ``routes_*`` (the routes). Importing this
package builds nothing; `create_app()` does.
"""
