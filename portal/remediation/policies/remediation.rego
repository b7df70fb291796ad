# The limits for AI and people: which remediation actions may run on their own, which need an SRE,
# and which never run. Evaluated in process by regopy (or by an OPA server). Rego v1.
package portal.remediation

default decision := "deny"

# Reasons to refuse outright.
deny contains "a change freeze is declared for this environment" if input.freeze

deny contains msg if {
	input.action == "scale_out"
	input.parameters.replicas > input.limits.max_replicas
	msg := sprintf("scale-out to %d replicas is above the cap of %d for this service", [input.parameters.replicas, input.limits.max_replicas])
}

deny contains "unknown risk level" if not input.risk in {"low", "medium", "high"}

# What the AI may do by itself: low-risk actions outside production.
auto_allowed if {
	input.requester.kind == "ai"
	input.risk == "low"
	input.environment.kind != "prod"
}

needs_approval_because contains "production needs an SRE's approval" if input.environment.kind == "prod"

needs_approval_because contains "high-risk actions need an SRE's approval" if input.risk == "high"

needs_approval_because contains msg if {
	input.action == "resource_request"
	input.parameters.size in {"large", "xlarge"}
	msg := sprintf("a %s resource needs an SRE's approval", [input.parameters.size])
}

needs_approval_because contains "only low-risk actions run without approval" if not auto_allowed

decision := "auto" if {
	count(deny) == 0
	auto_allowed
}

decision := "needs_approval" if {
	count(deny) == 0
	not auto_allowed
}

reasons := deny if count(deny) > 0

reasons := needs_approval_because if {
	count(deny) == 0
	not auto_allowed
}

reasons := {"low-risk action outside production requested by the portal's analysis"} if {
	count(deny) == 0
	auto_allowed
}
