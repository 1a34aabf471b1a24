/*
 * kinkyu: the only script the site serves (/assets/webauthn.js, CSP script-src 'self', never inline). A form marked
 * data-webauthn="create" or "get" carries the server's WebAuthn options (JSON in data-options). On submit the
 * browser's passkey ceremony runs; its answer (or the name of its failure) goes into the form's hidden "response"
 * (or "failure") field and the form is posted as usual. The server checks everything; without this script the
 * form still posts, and the server says that a passkey needs JavaScript.
 */
(function () {
  'use strict';

  function toBytes(b64u) {
    var b64 = b64u.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64u(buffer) {
    if (!buffer) return undefined;
    var bytes = new Uint8Array(buffer);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var out = { type: 'public-key', id: toBytes(d.id) };
      if (d.transports) out.transports = d.transports;
      return out;
    });
  }

  function creationOptions(o) {
    var p = Object.assign({}, o);
    p.challenge = toBytes(o.challenge);
    p.user = Object.assign({}, o.user, { id: toBytes(o.user.id) });
    p.excludeCredentials = descriptors(o.excludeCredentials);
    return p;
  }

  function requestOptions(o) {
    var p = Object.assign({}, o);
    p.challenge = toBytes(o.challenge);
    p.allowCredentials = descriptors(o.allowCredentials);
    return p;
  }

  function toJSON(cred, mode) {
    var r = cred.response;
    var response = { clientDataJSON: toB64u(r.clientDataJSON) };
    if (mode === 'create') {
      response.attestationObject = toB64u(r.attestationObject);
      response.transports = typeof r.getTransports === 'function' ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64u(r.authenticatorData);
      response.signature = toB64u(r.signature);
      if (r.userHandle) response.userHandle = toB64u(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toB64u(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: typeof cred.getClientExtensionResults === 'function' ? cred.getClientExtensionResults() : {},
      response: response,
    };
  }

  function start(form) {
    if (form.getAttribute('data-webauthn-ready')) return;
    form.setAttribute('data-webauthn-ready', '1');
    var busy = false;
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      var mode = form.getAttribute('data-webauthn');
      var responseField = form.querySelector('input[data-webauthn-response]') || form.querySelector('input[name="response"]');
      var failureField = form.querySelector('input[data-webauthn-failure]') || form.querySelector('input[name="failure"]');
      var status = form.querySelector('[data-webauthn-status]');
      var button = form.querySelector('button[type="submit"]');
      responseField.value = '';
      failureField.value = '';
      if (status) status.textContent = form.getAttribute('data-waiting') || '';
      if (button) button.setAttribute('aria-disabled', 'true');
      var ceremony;
      try {
        if (!window.PublicKeyCredential || !navigator.credentials) throw Object.assign(new Error('no WebAuthn'), { name: 'unsupported' });
        var options = JSON.parse(form.getAttribute('data-options'));
        ceremony = mode === 'create'
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
      } catch (err) {
        ceremony = Promise.reject(err);
      }
      ceremony
        .then(function (cred) {
          if (!cred) throw Object.assign(new Error('no credential'), { name: 'NotAllowedError' });
          responseField.value = JSON.stringify(toJSON(cred, mode));
        })
        .catch(function (err) {
          responseField.value = '';
          failureField.value = (err && err.name) || 'Error';
        })
        .then(function () {
          // submit() does not fire this listener again; the server answers with the next page either way.
          form.submit();
        });
    });
  }

  var forms = document.querySelectorAll('form[data-webauthn]');
  for (var i = 0; i < forms.length; i++) start(forms[i]);
})();
