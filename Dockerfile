# Cluster Exchange: one image for every process (web, the two worker pools, beat, Flower and
# the backup loop); the command chosen at run time says which (platform/compose.yaml).
#   docker build -t cluster-exchange .
#   docker run --env-file .env cluster-exchange gunicorn --config config/gunicorn.py config.wsgi
#   docker run --env-file .env cluster-exchange celery --app config worker --queues matching

# --- build: the dependencies, in a virtual environment copied whole into the final image ---
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Only what pip needs, so that a code change does not reinstall every dependency.
COPY pyproject.toml README.md ./
# The project installs no package of its own (packages = []): this installs its dependencies,
# and Flower (the "platform" extra), all from wheels.
RUN pip install ".[platform]"

# --- the image that runs ---
FROM python:3.11-slim
# postgresql-client: pg_dump and pg_restore for the backups (Debian 12's is version 15, the
# same major version as the postgres:15 server in platform/compose.yaml; pg_dump must be of
# the server's version or newer).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
# A user without a login and without root's powers runs everything.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_MEDIA_ROOT=/app/var/media \
    BACKUP_DIR=/app/var/backups
WORKDIR /app
# The code belongs to root: the user the site runs as can read it but not change it.
COPY . .
# Static files collected at build, with their hashed names and compressed copies, served by
# whitenoise. The build has no secrets and no database: the base settings suffice for this.
RUN DJANGO_SETTINGS_MODULE=config.settings.base python manage.py collectstatic --noinput \
    && mkdir -p var/media var/backups \
    && chown -R app:app var/media var/backups
USER app
EXPOSE 8000
# The web server by default; workers, beat, Flower and the backups give their own command.
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
