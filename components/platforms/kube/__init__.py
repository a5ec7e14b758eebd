"""Pure builders of Kubernetes objects (plain dicts, no Pulumi) from `ServicePlan`s, split by
concern: pods and their security (`pods`), cluster access (`rbac`), network policy
(`network`). `components.platforms.kubernetes` declares them as resources; tests read them too."""
