"""Nhacno's Chalice app: registers the blueprints and event handlers, nothing else."""

from chalice import Chalice

from chalicelib.routes import customers, invoices, meta, receivables, tenants
from chalicelib.routes.middleware import problem_json

app = Chalice(app_name="nhacno")
app.experimental_feature_flags.update(["BLUEPRINTS"])
app.register_middleware(problem_json, "http")

for blueprint in (meta, tenants, customers, invoices, receivables):
    app.register_blueprint(blueprint.bp)
