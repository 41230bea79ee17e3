# syntax=docker/dockerfile:1
#
# One image for every Cascade process (intake, approvals, runner, ns-pusher, verifier, the
# NetSuite simulator, and the one-shot `prepare`); docker-compose.yml picks the command.
# No secrets are baked in: the database password and the admin token come from the
# environment at run time.

# build resolves the locked workspace into /app/.venv.
FROM python:3.11-slim AS build

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app
# The workspace: pyproject.toml, uv.lock, libs/, services/, tools/, contracts/.
# .dockerignore lets in exactly those (and keeps out .venv, caches, tests, .env files), so a
# folder that does not exist yet, such as an empty contracts/, does not break the build.
COPY . ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages \
    && mkdir -p contracts .cascade

# runtime is the image that runs: the venv and the sources, no uv, a non-root user.
FROM python:3.11-slim AS runtime

RUN groupadd --system --gid 10001 cascade \
    && useradd --system --uid 10001 --gid cascade --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin cascade

WORKDIR /app
# Same path as in the build stage: the venv's scripts and the editable workspace installs
# point at /app.
COPY --from=build /app /app
# The code is read-only for the service user; only the devstack's state folder is writable.
RUN chown cascade:cascade /app/.cascade

ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CASCADE_CONTRACTS_DIR=/app/contracts

USER 10001:10001

CMD ["python", "-c", "print('cascade image: run with a command, e.g. python -m cascade.intake')"]
