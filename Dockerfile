# Privacy-Aware Face Recognition: the SIFIS-Home HTTP service on port 8090.
# The install steps are README's: install the project, check the models offline
# (`python -m app models setup`), then `python -m app serve`.
#
# Two stages. `build` installs the project into /opt/venv with TensorFlow's CPU-only build
# (docker/install_cpu.py says why not `pip install .`: it would bring TensorFlow's GPU build,
# 0.6 GB more); the image keeps that venv only, not the sources or the installer. Every
# requirement is a wheel: nothing is compiled, and no compiler is in either stage.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_CPP_MIN_LOG_LEVEL=3

RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY docker/install_cpu.py ./docker/
# TensorFlow's C++ headers (0.3 GB) are for compiling TensorFlow ops, which nothing here does
RUN /opt/venv/bin/python docker/install_cpu.py \
    && rm -r /opt/venv/lib/python3.11/site-packages/tensorflow/include

FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TF_CPP_MIN_LOG_LEVEL=3 \
    HOST=0.0.0.0 \
    PORT=8090 \
    DATABASE_DIR=/app/database \
    STATE_DIR=/app/state

COPY --from=build /opt/venv /opt/venv
WORKDIR /app

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
