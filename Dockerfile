# syntax=docker/dockerfile:1
# Rollcall in a container: built in one stage, run as a non-root user from a slim image.
#
#   docker build -t rollcall .
#   docker run -p 8080:8080 -v rollcall-data:/var/lib/rollcall rollcall
#   docker exec <container> rollcall org create Acme     # an organization and its tokens
#
# The SQLite database lives in the volume at /var/lib/rollcall. For PostgreSQL, set
# DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DB instead (no volume needed). Put TLS in
# front with a reverse proxy (docs/operations.md); Rollcall itself speaks plain HTTP.

FROM rust:1.95-slim-bookworm AS build
# SQLite and libpq are built from source: a C compiler and make are all they need.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p rollcall \
    && install -m 0755 target/release/rollcall /usr/local/bin/rollcall

FROM debian:bookworm-slim
# curl for the HEALTHCHECK; CA certificates for webhooks and JWKS over HTTPS.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 rollcall \
    && useradd --system --uid 10001 --gid rollcall --home-dir /var/lib/rollcall --shell /usr/sbin/nologin rollcall \
    && install -d -o rollcall -g rollcall -m 0750 /var/lib/rollcall
COPY --from=build /usr/local/bin/rollcall /usr/local/bin/rollcall
USER rollcall:rollcall
WORKDIR /var/lib/rollcall
VOLUME ["/var/lib/rollcall"]
ENV DATABASE_URL=sqlite:///var/lib/rollcall/rollcall.db \
    ROLLCALL_BIND=0.0.0.0:8080 \
    RUST_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# SIGTERM (docker stop) lets in-flight requests finish; stop_grace_period should exceed 10 s.
STOPSIGNAL SIGTERM
ENTRYPOINT ["rollcall"]
CMD ["serve"]
