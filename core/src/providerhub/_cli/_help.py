"""The help's texts: the stable ``--json`` keys, the exit codes and the environment variables read."""

JSON_KEYS = """\
--json prints stable JSON (null where a value is unknown):
  plugins    a list of {name, distribution, version, value, providers, error};
             providers is a list of provider names, error a string or null
  providers  a list of {name, label, plugin, url, working, needs_auth, supports_stream,
             priority, default_model, default_vision_model, models, vision_models, aliases,
             any_model, api_key_env, options, key_found, key_source}; models and vision_models
             are lists of ids, aliases maps alias to model id, options maps option name to type
             name, key_source is "file", the variable's name or null (never the key)
  models     a list of {id, provider, plugin, aliases, vision}, one per (model, provider);
             with --options also options, mapping option name to type name
  resolve    one object {requested, provider, model, plugin, match, candidates}; match is
             id, prefix, provider, alias or case-insensitive; candidates is a list of
             {provider, model, plugin, priority} in preference order
  chat       one object {text, provider, model, usage, finish_reason, attempts} once the answer
             is complete; provider and model say who answered, usage is {prompt_tokens,
             completion_tokens, total_tokens} or null, attempts is a list of {provider, model,
             error, seconds}, one per try of a candidate (error null for the one that answered)
  keys list  a list of provider names (never the keys)
  history    a list of {id, model, updated, messages}, newest first; messages are {role, content}
  config     one object {file, file_found, default_model, prefer, plugins, disable_plugins, strict,
             providers, environment, state_backend, cache_dir, keys_file, history_file};
             providers is a list of {name, from, status, settings}
  check      a list of {plugin, provider, check, outcome, reason}; outcome is passed,
             failed or skipped; provider is null for a fault of the plugin itself"""

EXIT_CODES = """\
exit codes: 0 ok, 1 unexpected error (check: a check failed), 2 usage or bad input (an option, an image, a proxy URL, a
damaged key or conversation file), 3 model, provider or stored key not found, 4 provider or network
failure, 5 a plugin failed to load under PROVIDERHUB_STRICT_PLUGINS=1, 74 stdout closed or full,
130 interrupted, 141 stdout's reader went away (| head), 143 terminated (SIGTERM)."""

ENVIRONMENT = """\
environment:
  PROVIDERHUB_CONFIG            the configuration file (where it is: 'providerhub config')
  PROVIDERHUB_PLUGINS           plugins to load (comma-separated names; default: all installed)
  PROVIDERHUB_DISABLE_PLUGINS   plugins to leave out
  PROVIDERHUB_PREFER            providers to prefer when several serve a model, in order
  PROVIDERHUB_DEFAULT_MODEL     the model used when none is named
  PROVIDERHUB_STRICT_PLUGINS=1  a plugin that fails to load is an error (exit 5), not a warning
  PROVIDERHUB_PLUGIN_TIMEOUT    seconds a plugin may take to import
  PROVIDERHUB_CACHE_DIR         where the model index is kept (default: the user cache directory)
  PROVIDERHUB_NO_CACHE=1        do not use the model index
  PROVIDERHUB_MAX_RESPONSE_BYTES, PROVIDERHUB_MAX_IMAGE_BYTES   limits (see the README)
  PROVIDERHUB_FALLBACK, PROVIDERHUB_RETRIES, PROVIDERHUB_ALLOWED_FAILS, PROVIDERHUB_WINDOW,
  PROVIDERHUB_COOLDOWN, PROVIDERHUB_FIRST_CHUNK_TIMEOUT, PROVIDERHUB_TIMEOUT,
  PROVIDERHUB_STATE_URL         routing (see the README's "Routing")
  PROVIDERHUB_DEBUG=1           tracebacks, like --debug
  PROVIDERHUB_API_KEY           the key clients must send to 'providerhub serve' (see 'serve --help')
  XDG_CONFIG_HOME, XDG_DATA_HOME  where the key file and conversations are kept
  HTTP_PROXY, HTTPS_PROXY, NO_PROXY  proxies for providers' requests (--proxy overrides)
  each provider's api_key_env (see 'providerhub providers --json') holds its key"""

EPILOG = f"""\
{JSON_KEYS}

{EXIT_CODES}

{ENVIRONMENT}"""
