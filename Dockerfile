FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir -e .
COPY . .
# Static files with the production storage (hashed names + manifest); the key is for this step only.
RUN DJANGO_SETTINGS_MODULE=config.settings.production ALLOWED_HOSTS=build \
    SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-build-only \
    python manage.py collectstatic --no-input
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--preload"]
