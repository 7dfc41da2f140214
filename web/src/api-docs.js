// API reference page: Swagger UI over the server's own OpenAPI document. Offline: the
// online validator badge is switched off, so nothing is requested from another host.
/* global SwaggerUIBundle */
window.addEventListener('DOMContentLoaded', () => {
  window.ui = SwaggerUIBundle({
    url: new URL('api/v1/openapi.json', document.baseURI).toString(),
    dom_id: '#swagger',
    validatorUrl: null,
    deepLinking: true,
    tryItOutEnabled: true,
    onComplete: () => {
      document.body.dataset.ready = '1';
    },
  });
});
