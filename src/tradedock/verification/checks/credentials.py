"""``credentials.format``: the only local check — run before anything is sent to the exchange.

What belongs here: trimming notices, the spec's per-field format patterns, and the spec's own inspector
findings (swapped fields; Aster main-wallet key, another API wallet, address typo). A ``fail`` here stops the
verification before any network call. What does not: anything that needs the exchange.
"""

from __future__ import annotations

from tradedock.exchanges.base import CredentialFinding, FindingSeverity
from tradedock.verification.checks.base import CheckContext, Verdict, check, names
from tradedock.verification.report import Outcome


def _label(ctx: CheckContext, field_name: str) -> str:
    try:
        return ctx.spec.field(field_name).label
    except KeyError:
        return field_name


@check("credentials.format", title="Credential format", remote=False)
def credentials_format(ctx: CheckContext) -> Verdict:
    creds = ctx.request.credentials
    findings: list[CredentialFinding] = list(ctx.spec.inspect_credentials(creds))
    # The inspector knows more than a pattern (e.g. "key and secret are swapped"); don't repeat a field it named.
    named = {f.field for f in findings if f.severity is FindingSeverity.FAIL}
    for spec_field in ctx.spec.credential_fields:
        if spec_field.name in named:
            continue
        value = creds.get(spec_field.name)
        if not value:
            findings.append(
                CredentialFinding(
                    field=spec_field.name,
                    problem="missing",
                    message=f"The {spec_field.label} is missing.",
                    fix=f"Paste the {spec_field.label}: {spec_field.help.rstrip().rstrip('.')}.",
                )
            )
        elif not spec_field.fits(value):
            findings.append(
                CredentialFinding(
                    field=spec_field.name,
                    problem="bad_format",
                    message=f"The {spec_field.label} does not look right: expected {spec_field.shape}.",
                    fix=f"Copy the {spec_field.label} again from {ctx.name}, the whole value and nothing else.",
                )
            )

    trimmed = [name for name in ctx.request.trimmed_fields]
    failures = [f for f in findings if f.severity is FindingSeverity.FAIL]
    warnings = [f for f in findings if f.severity is FindingSeverity.WARN]
    messages = [f.message for f in failures + warnings]
    if trimmed:
        labels = names(_label(ctx, name) for name in trimmed)
        messages.append(f"We removed pasted spaces or line breaks from the {labels}.")
    fix = tuple(dict.fromkeys(f.fix for f in failures + warnings if f.fix))
    evidence = {
        "trimmed_fields": trimmed,
        "problems": [{"field": f.field, "problem": f.problem, "severity": f.severity.value} for f in findings],
    }
    if failures:
        return Verdict(Outcome.FAIL, " ".join(messages), fix, evidence)
    if warnings or trimmed:
        return Verdict(Outcome.WARN, " ".join(messages), fix, evidence)
    fields = names(_label(ctx, f.name) for f in ctx.spec.credential_fields)
    return Verdict(Outcome.PASS, f"The {fields} are well-formed.", (), evidence)
