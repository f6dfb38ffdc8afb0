module github.com/temporal-payload-codec/temporal-payload-codec/bindings/go/tools/modzip

go 1.26.8

require golang.org/x/mod v0.35.0
