from ninja import NinjaAPI

api = NinjaAPI(title="Panal API", version="1", urls_namespace="api")
