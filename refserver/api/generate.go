package api

// The models and the server interfaces are generated from
// refserver/openapi.yaml, and so is the copy of it that Spec returns. The
// generator runs by version with go run rather than from a tool line in
// go.mod, which would add its dependencies to every module that imports
// spoc. CI runs go generate ./... and fails when it changes a file.

//go:generate go run ./internal/specgen -in ../openapi.yaml -out spec.gen.go -package api -const specYAML
//go:generate go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2 -config oapi-codegen.yaml ../openapi.yaml
