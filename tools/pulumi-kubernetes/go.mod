// Wrapper module: builds the Kubernetes provider plugin from the one served pseudo-version of
// provider/v4. Its own main embeds a generated schema the module does not ship, so main.go here embeds
// the module's schema.json and terraform-mapping.json, copied in at build time (scripts/build-tools).
module local/pulumikubernetesbuild

go 1.24.7

require github.com/pulumi/pulumi-kubernetes/provider/v4 v4.0.0-20260115033456-f47bc2d6f199

replace (
	github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
	// A newer pkg no longer compiles this provider (ResourceSpec became a pointer).
	github.com/pulumi/pulumi/pkg/v3 => github.com/pulumi/pulumi/pkg/v3 v3.215.0
	github.com/pulumi/pulumi/sdk/v3 => github.com/pulumi/pulumi/sdk/v3 v3.215.0
	// provider/v4 replaces its SDK with ../sdk, which a module download does not have.
	github.com/pulumi/pulumi-kubernetes/sdk/v4 => github.com/pulumi/pulumi-kubernetes/sdk/v4 v4.32.0
)
