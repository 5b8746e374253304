"""Web dashboard: server-rendered pages (Jinja2) over `tradedock.services`, mounted on the API app by
`tradedock serve` (`tradedock.web.app.install`). Signs in with the API's session cookie; forms carry its CSRF token."""
