module github.com/spoc-itsm/spoc

go 1.26

require (
	github.com/google/go-cmp v0.7.0
	github.com/google/uuid v1.6.0
	github.com/rickar/cal/v2 v2.1.13
)
