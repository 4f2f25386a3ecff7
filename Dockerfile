# linkpulse in a container.
#   docker build -t linkpulse .
#   docker run -p 8080:8080 -v linkpulse-data:/data linkpulse
# With no DATABASE_URL override the data lives in SQLite at /data/linkpulse.db (mount a volume there).
# Set DATABASE_URL=postgres://… to use Postgres instead (see docker-compose.yml).

# The crate uses edition 2024 and sqlx 0.9, which need rustc >= 1.94.
ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-trixie AS builder
WORKDIR /src
COPY . .
# Cache mounts keep the registry and build artifacts between builds; the binary is copied out
# because the target cache is not part of the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/linkpulse /usr/local/bin/linkpulse

# Same Debian release as the builder, so the glibc the binary was linked against is present.
FROM debian:trixie-slim
# CA certificates for TLS to PostgreSQL (sslmode=verify-full) and to a Shlink server imported from.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --user-group --uid 10001 --home-dir /data --shell /usr/sbin/nologin linkpulse \
    && mkdir -p /data \
    && chown linkpulse:linkpulse /data
COPY --from=builder /usr/local/bin/linkpulse /usr/local/bin/linkpulse

ENV LINKPULSE_LISTEN=0.0.0.0:8080 \
    LINKPULSE_ADDRESS_FILE=/tmp/linkpulse.address \
    DATABASE_URL=sqlite:///data/linkpulse.db
VOLUME ["/data"]
WORKDIR /data
# Numeric, so Kubernetes' runAsNonRoot can verify it is not root.
USER 10001:10001
EXPOSE 8080

# `serve` writes the address it listens on into LINKPULSE_ADDRESS_FILE and `health` reads it,
# so the check follows a `--listen` given on the command line; it passes while /rest/health
# answers 200, which it does only while the database does.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["linkpulse", "health"]

# SIGTERM (docker stop) shuts down gracefully: in-flight requests finish and buffered clicks
# are flushed to the outbox before the process exits.
ENTRYPOINT ["linkpulse"]
CMD ["serve"]
