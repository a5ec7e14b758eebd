// Wrapper module: builds actionlint, which lints the GitHub Actions workflows in .github/workflows.
module local/actionlintbuild

go 1.25.0

require github.com/rhysd/actionlint v1.7.12
