// Swagger UI on the document this deployment serves. Nothing is loaded from another origin: the online
// validator badge is off (validatorUrl), and the Content-Security-Policy in _headers enforces the rest.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
});
