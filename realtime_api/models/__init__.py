"""The API's answers and the live feed's messages as Pydantic models, one module per resource: the
OpenAPI document (and the JSON Schema of the WebSocket messages) are generated from them, and the
dashboard's TypeScript types from those documents."""
