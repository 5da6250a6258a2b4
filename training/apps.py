from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"

    def ready(self):
        from training import documents  # noqa: F401  (registers the background builders)
