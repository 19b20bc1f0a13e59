"""ValidatingAdmissionPolicies as the API server applies them, with a real CEL interpreter.

What it implements (admissionregistration.k8s.io/v1, as the API documents it):
- a binding names its policy and selects namespaces (`matchResources.namespaceSelector`);
- the policy's `matchConstraints.resourceRules` match the request's group, version, resource
  and operation;
- the policy applies only when every `matchConditions` expression is true;
- each `validations` expression must be true; a false one refuses with its message, and one
  that cannot be evaluated refuses too when `failurePolicy` is `Fail` (the default).
The expressions run in the `common-expression-language` interpreter (CEL, the language the API
server evaluates), with `object` and `request` as the API server binds them. Not implemented:
`paramKind`, `variables`, `auditAnnotations`, `messageExpression`; a policy using them is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import cel

from tools.netpol.evaluator import Selector

_UNSUPPORTED = ("paramKind", "variables", "auditAnnotations")


@dataclass(frozen=True)
class Request:
    """One write to the host API: who makes it, to what, and the object it carries."""

    username: str
    namespace: str
    resource: str
    object: Mapping[str, Any]
    group: str = ""
    version: str = "v1"
    operation: str = "CREATE"

    def bindings(self) -> dict[str, Any]:
        return {
            "object": dict(self.object),
            "request": {
                "userInfo": {"username": self.username},
                "namespace": self.namespace,
                "operation": self.operation,
                "resource": {
                    "group": self.group,
                    "version": self.version,
                    "resource": self.resource,
                },
            },
        }


def _selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return True
    expressions = tuple(
        (e["key"], e["operator"], tuple(e.get("values") or ()))
        for e in selector.get("matchExpressions") or ()
    )
    return Selector(dict(selector.get("matchLabels") or {}), expressions).matches(labels)


def _rule_matches(rule: Mapping[str, Any], request: Request) -> bool:
    def has(key: str, value: str) -> bool:
        return value in rule.get(key, ()) or "*" in rule.get(key, ())

    return (
        has("apiGroups", request.group)
        and has("apiVersions", request.version)
        and has("resources", request.resource)
        and has("operations", request.operation)
    )


def _evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    return cel.evaluate(expression, dict(context))


@dataclass(frozen=True)
class Admission:
    """The policies and bindings of a host, and the labels of its namespaces."""

    documents: tuple[Mapping[str, Any], ...]
    namespace_labels: Mapping[str, Mapping[str, str]]

    @classmethod
    def of(cls, documents: Iterable[Mapping[str, Any]], namespaces: Iterable[str]) -> Admission:
        return cls(
            tuple(documents),
            {n: {"kubernetes.io/metadata.name": n} for n in namespaces},
        )

    def _policies(self) -> dict[str, Mapping[str, Any]]:
        found = {}
        for doc in self.documents:
            if doc.get("kind") != "ValidatingAdmissionPolicy":
                continue
            if any(key in doc["spec"] for key in _UNSUPPORTED):
                raise ValueError(f"{doc['metadata']['name']}: uses what this model leaves out")
            found[doc["metadata"]["name"]] = doc
        return found

    def refusals(self, request: Request) -> list[str]:
        """Why the API server refuses `request`: one message per failed validation; [] admits."""
        policies = self._policies()
        labels = self.namespace_labels.get(request.namespace, {})
        context = request.bindings()
        messages: list[str] = []
        for binding in self.documents:
            if binding.get("kind") != "ValidatingAdmissionPolicyBinding":
                continue
            spec = binding["spec"]
            policy = policies.get(spec["policyName"])
            match = spec.get("matchResources") or {}
            if policy is None or not _selects(match.get("namespaceSelector"), labels):
                continue
            messages += self._policy_refusals(policy["spec"], request, context)
        return messages

    @staticmethod
    def _policy_refusals(
        spec: Mapping[str, Any], request: Request, context: Mapping[str, Any]
    ) -> list[str]:
        rules = spec.get("matchConstraints", {}).get("resourceRules", ())
        if not any(_rule_matches(r, request) for r in rules):
            return []
        fail_closed = spec.get("failurePolicy", "Fail") == "Fail"
        for condition in spec.get("matchConditions", ()):
            try:
                if _evaluate(condition["expression"], context) is not True:
                    return []
            except Exception as err:
                return [f"{condition['name']}: {err}"] if fail_closed else []
        messages = []
        for validation in spec.get("validations", ()):
            try:
                admitted = _evaluate(validation["expression"], context) is True
            except Exception as err:
                admitted = not fail_closed
                if not admitted:
                    messages.append(f"{validation['message']} (error: {err})")
                continue
            if not admitted:
                messages.append(validation["message"])
        return messages
