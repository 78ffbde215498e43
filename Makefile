# Targets mirror CI (.ci/run). Only the Rust toolchain is needed.
CARGO ?= cargo
FUZZ_SECONDS ?= 300

.PHONY: run test test-serializable fmt fmt-check lint doc bench bench-load bench-members bench-instructions fuzz conformance ci

## run: start the server on the embedded SQLite default (./data/rollcall.db); on an empty
## database it creates the organization "demo" and prints its SCIM base URL and token
run:
	$(CARGO) run -p rollcall --locked -- serve --demo

## test: every test of the workspace (unit, integration, property, doc tests)
test:
	$(CARGO) test --workspace --locked

## test-serializable: the tests again, every PostgreSQL database at SERIALIZABLE isolation
## (as distributed PostgreSQL-compatible engines run): serialization failures are retried
test-serializable:
	ROLLCALL_TEST_POSTGRES_ISOLATION=serializable $(CARGO) test --workspace --locked

## fmt: format the code; fmt-check: fail if it is not formatted
fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

## lint: clippy on every target, warnings are errors
lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

## doc: the API docs, warnings are errors
doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps --locked

## bench: criterion benchmarks (figures go to docs/benchmarks.md)
bench:
	$(CARGO) bench -p scim-core --bench core --locked
	$(CARGO) bench -p rollcall-store --bench store --locked

## fuzz: run each fuzz target for FUZZ_SECONDS (needs nightly and cargo-fuzz; not part of `make test`)
fuzz:
	mkdir -p fuzz/corpus/filter_parse fuzz/corpus/patch_apply
	cd fuzz && $(CARGO) +nightly fuzz run filter_parse corpus/filter_parse seeds/filter_parse -- -max_total_time=$(FUZZ_SECONDS)
	cd fuzz && $(CARGO) +nightly fuzz run patch_apply corpus/patch_apply seeds/patch_apply -- -max_total_time=$(FUZZ_SECONDS)

## conformance: the third-party suites (../shared/conformance: scim2-tester, Okta's spec test,
## Microsoft's reference tests, schemathesis over Okta's OpenAPI) against fresh servers on
## SQLite and PostgreSQL
conformance:
	bash scripts/conformance.sh

## bench-load: wrk against rollcall and a bare actix-web handler (N=100000 users; needs wrk)
bench-load:
	bash bench/load.sh

## bench-members: wrk PATCHing group memberships one member at a time (M=20000; needs wrk)
bench-members:
	bash bench/members.sh

## bench-instructions: instructions per filter GET and per create under callgrind, and the
## bare handler's per GET (N=100000 users; needs wrk and valgrind)
bench-instructions:
	bash bench/instructions.sh

## ci: what .ci/run does
ci:
	bash .ci/run
