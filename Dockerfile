# syntax=docker/dockerfile:1
# subledger service image: multi-stage, the build toolchain never ships.
#   docker build -t subledger .      (or: docker compose build subledger)

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# Cache mounts keep the registry and build artifacts between builds; the binary is copied
# out of the cached target dir because cache mounts are not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin subledger \
 && install -D target/release/subledger /out/subledger

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/subledger --create-home subledger
COPY --from=build /out/subledger /usr/local/bin/subledger
USER subledger
WORKDIR /var/lib/subledger
EXPOSE 8080
ENTRYPOINT ["subledger"]
CMD ["serve", "--store", "eventstoredb", "--esdb-url", "esdb://eventstore:2113?tls=false", "--listen", "0.0.0.0:8080"]
