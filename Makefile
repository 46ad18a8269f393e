# Agion: see README.md. Every target installs what it is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
SWIFT ?= swift
STACK := scripts/stack.sh

.PHONY: help setup up down run status test test-sdk sanitize proto proto-check check-raw bench check-compose compose-auth compose-test images check-kube kube-play chaos check-openapi fuzz-api clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## install the servers, C libraries and tools that are missing (apt-get)
	@$(STACK) install

up: setup ## start NATS, Redis, PostgreSQL and the services in the background (REPLICAS=2, or EXECUTION_REPLICAS=3, ... for more of each)
	@$(STACK) start
	@scripts/services.sh start

down: ## stop what `make up` / `make run` started
	@scripts/services.sh stop
	@$(STACK) stop

status: ## what is running (exit 1 when something is down)
	@$(STACK) status; s=$$?; scripts/services.sh status; exit $$s

run: setup ## start everything in the foreground, show it working; Ctrl-C stops it all
	@scripts/run.sh

test: setup proto-check check-raw check-compose check-kube ## build and run every test against real servers, then the images, compose and the dev overlay
	@$(STACK) start
	@scripts/test.sh
	@scripts/test-sdk-python.sh
	@scripts/check-openapi.sh
	@scripts/fuzz-api.sh
	@scripts/images.sh
	@scripts/compose-test.sh
	@scripts/kube-play.sh
	@CHAOS=short AGION_SERVICES_BIN="$$(swift build -c release --static-swift-stdlib --scratch-path .build-images --show-bin-path)" scripts/chaos.sh

test-sdk: setup ## the Python SDK's tests (pytest) against the services on the local stack
	@$(STACK) start
	@scripts/test-sdk-python.sh

sanitize: setup ## every test under AddressSanitizer (and LeakSanitizer for the codecs); slower, not part of CI
	@$(STACK) start
	@scripts/sanitize.sh

proto: ## regenerate Shared/CAgionProto from Proto/
	@scripts/proto.sh

proto-check:
	@scripts/proto.sh --check

check-raw: ## C modules are imported only under Raw/ folders
	@scripts/check-raw.sh

check-compose:
	@scripts/check-compose.sh

compose-auth: ## the NATS authority docker-compose.yml's nats-server trusts (.run/compose/nats-auth; docs/security.md)
	@swift build --product agion-natsauth >/dev/null && "$$(swift build --show-bin-path 2>/dev/null)/agion-natsauth" init .run/compose/nats-auth /data/jwt
	@# The containers' user (uid 10001) reads them through bind mounts: a development stack's files.
	@chmod -R a+rX .run/compose/nats-auth

images: ## build the container images with podman (docker where an engine runs); prints their sizes (docs/deploy.md)
	@scripts/images.sh

compose-test: images ## docker-compose.yml up with podman-compose, a check and a mission through the gateway, then down
	@scripts/compose-test.sh

check-kube: ## render every kustomize overlay (deploy/) and validate it offline: kubernetes-validate --strict, checkov, yamllint
	@scripts/check-kube.sh

chaos: setup ## kill -9 each service's replica, restart NATS, PostgreSQL, Redis, under load: nothing lost (docs/reliability.md)
	@$(STACK) start
	@scripts/chaos.sh

kube-play: images ## the dev overlay as pods with podman kube play: every service ready, a mission through it, then removed
	@scripts/kube-play.sh

check-openapi: ## validate the gateway's OpenAPI document (openapi-spec-validator from PyPI)
	@scripts/check-openapi.sh

fuzz-api: ## schema-driven fuzz of the HTTP API from its OpenAPI document (schemathesis): no 5xx
	@$(STACK) start
	@scripts/fuzz-api.sh

bench: setup ## release build, run every benchmark (JSON lines); starts the stack if needed and stops what it started
	@scripts/bench.sh

clean: ## remove build products (not .run/ data)
	rm -rf .build .build-asan bench/c/bin
