// Wrapper module: builds the Pulumi CLI from Go modules (`go install` refuses pkg/v3 because of its
// replace line, which is repeated here). v3.274.1 is the served version nearest the pinned Python SDK 3.272.0
// (3.271-3.273 are refused by the proxy).
module local/pulumibuild

go 1.26.6

require (
	github.com/pulumi/pulumi/pkg/v3 v3.274.1
	github.com/pulumi/pulumi/sdk/v3 v3.274.1
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
