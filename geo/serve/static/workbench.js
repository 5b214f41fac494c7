/* The planner's workbench page (geo serve): plain JavaScript on vendored Leaflet.
 *
 * Loads /api/layers (what never changes: area, townships, cells, types, standards, labels)
 * and /api/state (facilities, bands per standard, tables, undo state) once; every edit
 * then answers with what changed (facilities touched, the changed cells' bands, the
 * tables), applied here. One standard is shown at a time: the township colours, the
 * bands, the summary and the table follow the radio list. Errors are the server's
 * messages (the CLI's), shown above the tools; a refused request changes nothing.
 */
(function () {
  "use strict";

  var S = {
    layers: null, std: null, fac: {}, bands: {}, tables: {}, proposals: [], history: {},
    map: null, cells: [], townLayer: null, facLayer: null, propLayer: null, bandLayer: null,
    mode: null, busy: false, pending: 0, queue: Promise.resolve(), version: 0
  };
  var $ = function (id) { return document.getElementById(id); };
  window.geoWorkbench = S;  // the page's state, for scripts and the browser tests

  function L_(key, fields) {
    var text = (S.layers && S.layers.labels[key]) || key;
    Object.keys(fields || {}).forEach(function (k) {
      text = text.split("{" + k + "}").join(String(fields[k]));
    });
    return text;
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  // ------------------------------------------------------------------ requests

  function api(method, path, body) {
    var opts = {method: method, headers: {}};
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) { throw new Error(j.error || r.statusText); }
        return j;
      });
    });
  }

  function showError(message) {
    $("error-text").textContent = message;
    $("error").hidden = false;
    document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
  }

  function busy(delta) {
    S.pending += delta;
    S.busy = S.pending > 0;
    $("msg").classList.toggle("busy", S.busy);
    if (S.busy) { $("msg").textContent = L_("busy"); }
    else if ($("msg").textContent === L_("busy")) { $("msg").textContent = ""; }
  }

  // requests go one after another, in the order the planner made them (none is dropped)
  function send(method, path, body, then) {
    busy(1);
    S.queue = S.queue.then(function () {
      return api(method, path, body).then(function (res) {
        busy(-1);
        $("error").hidden = true;
        (then || applyUpdate)(res);
        return res;
      }).catch(function (e) {
        busy(-1);
        showError(e.message);
        refreshMarkers();  // a refused drag goes back to where the facility is
        return null;
      });
    });
    return S.queue;
  }

  // ------------------------------------------------------------------ colours

  function shareColour(share, target) {
    var c = S.layers.colours;
    if (share >= target - 1e-9) { return c.pass; }
    var ramp = c.ramp, x = Math.min(Math.max(share / target, 0), 1) * (ramp.length - 1);
    var i = Math.min(Math.floor(x), ramp.length - 2), a = ramp[i], b = ramp[i + 1], out = "#";
    [1, 3, 5].forEach(function (k) {
      var v = Math.round(parseInt(a.substr(k, 2), 16) * (i + 1 - x) +
                         parseInt(b.substr(k, 2), 16) * (x - i));
      out += ("0" + v.toString(16)).slice(-2);
    });
    return out;
  }

  function townStyle(row, target) {
    var c = S.layers.colours;
    if (!row || row.share === null) {
      return {fillColor: c.na, fillOpacity: 0.55, color: "#777", weight: 1};
    }
    if (row.meets === false) {
      return {fillColor: shareColour(Math.min(row.share, target - 1e-6), target), fillOpacity: 0.55,
              color: c.fail, weight: 4};
    }
    return {fillColor: shareColour(Math.max(row.share, target), target), fillOpacity: 0.55,
            color: "#4d4d4d", weight: 1};
  }

  function bandStyle(code) {
    if (code < 0) { return {fillOpacity: 0, fillColor: "#000"}; }
    return {fillOpacity: 0.6, fillColor: S.layers.bands.colours[code]};
  }

  // ------------------------------------------------------------------ map

  function buildMap() {
    var lay = S.layers;
    var map = S.map = L.map("map", {zoomSnap: 0.25});
    var osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: "© OpenStreetMap contributors"});
    var blank = L.tileLayer("data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==",
                            {attribution: "© OpenStreetMap contributors"});
    osm.addTo(map);
    map.fitBounds(lay.bounds);
    L.control.scale({metric: true, imperial: false, maxWidth: 160}).addTo(map);
    var renderer = L.canvas({padding: 0.2});
    S.bandLayer = L.layerGroup();
    S.cells = lay.cells.data.map(function (d) {
      var opts = {renderer: renderer, stroke: false, interactive: false, fillOpacity: 0};
      var shape = lay.cells.kind === "box" ? L.rectangle([[d[1], d[0]], [d[3], d[2]]], opts)
                                           : L.circleMarker([d[1], d[0]], L.extend(opts, {radius: 3}));
      S.bandLayer.addLayer(shape);
      return shape;
    });
    S.townLayer = L.geoJSON(lay.townships, {
      style: function () { return {className: "wb-town"}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(function () { return townTip(f.properties.township); }, {sticky: true});
      }
    }).addTo(map);
    L.geoJSON(lay.area, {interactive: false,
      style: {color: "#222", weight: 2.5, fill: false, dashArray: "6 4", className: "wb-boundary"}}).addTo(map);
    var names = L.layerGroup(lay.names.map(function (p) {
      return L.marker([p.lat, p.lon], {interactive: false, keyboard: false, icon: L.divIcon({
        className: "wb-label", iconSize: [0, 0], html: "<div>" + esc(p.name) + "</div>"})});
    })).addTo(map);
    S.facLayer = L.layerGroup().addTo(map);
    S.propLayer = L.layerGroup().addTo(map);
    var overlays = {};
    overlays[L_("townships_layer")] = S.townLayer;
    overlays[L_("bands_layer")] = S.bandLayer;
    overlays[L_("names_layer")] = names;
    overlays[L_("facilities_layer")] = S.facLayer;
    var bases = {"OpenStreetMap": osm};
    bases[L_("no_basemap")] = blank;
    L.control.layers(bases, overlays, {collapsed: false, position: "topright"}).addTo(map);
    legend();
    map.on("click", onMapClick);
  }

  function legend() {
    var b = S.layers.bands, c = S.layers.colours;
    var html = '<span class="wb-sw" style="background:' + c.pass + '"></span>' + esc(L_("meets")) +
      ' <span class="wb-sw" style="background:' + c.ramp[2] + ";outline:2px solid " + c.fail + '"></span>' +
      esc(L_("fails")) + " · " + esc(L_("bands_layer")) + " (" + esc(L_("minutes")) + "): ";
    b.labels.forEach(function (lab, i) {
      html += '<span class="wb-sw" style="background:' + b.colours[i] + '"></span>' + esc(lab) + " ";
    });
    $("legend").innerHTML = html;
  }

  function townTip(name) {
    var t = S.tables[S.std], row = null;
    (t ? t.rows : []).forEach(function (r) { if (r.township === name) { row = r; } });
    if (!row) { return esc(name); }
    return "<b>" + esc(name) + "</b><br>" + esc(L_("population")) + " " + fmtInt(row.population) +
      "<br>" + esc(L_("covered_population")) + " " + fmtInt(row.covered) + " (" + fmtShare(row.share) + ")" +
      "<br>" + esc(L_("median")) + " " + fmtMin(row.median);
  }

  function ringOffsets(n) {
    if (n === 1) { return [[0, 0]]; }
    var r = Math.max(14, Math.ceil(n * 20 / (2 * Math.PI))), out = [];
    for (var i = 0; i < n; i++) {
      var a = 2 * Math.PI * i / n - Math.PI / 2;
      out.push([Math.round(r * Math.cos(a)), Math.round(r * Math.sin(a))]);
    }
    return out;
  }

  function typeInfo(code) {
    var found = null;
    S.layers.types.forEach(function (t) { if (t.code === code) { found = t; } });
    return found || {code: code, label: code, colour: "#555", glyph: "?"};
  }

  function refreshMarkers() {
    if (!S.facLayer) { return; }
    S.facLayer.clearLayers();
    var groups = {};
    Object.keys(S.fac).forEach(function (id) {
      var f = S.fac[id];
      if (!f.open) { return; }
      var key = f.lon.toFixed(7) + "," + f.lat.toFixed(7);
      (groups[key] = groups[key] || []).push(f);
    });
    Object.keys(groups).forEach(function (key) {
      var group = groups[key].sort(function (a, b) { return a.id < b.id ? -1 : 1; });
      var offs = ringOffsets(group.length);
      group.forEach(function (f, i) {
        var t = typeInfo(f.type), dx = offs[i][0], dy = offs[i][1];
        var icon = L.divIcon({
          className: "wb-facility" + (f.new ? " new" : ""), iconSize: [18, 18],
          iconAnchor: [9 - dx, 9 - dy], popupAnchor: [dx, dy - 9],
          html: '<div class="wb-icon" data-id="' + esc(f.id) + '" style="background:' + t.colour + '">' +
                esc(t.glyph) + "</div>"});
        var m = L.marker([f.lat, f.lon], {icon: icon, draggable: true, autoPan: false});
        m.bindTooltip(esc(f.name) + " · " + esc(t.label));
        m.on("dragend", function () {
          var p = m.getLatLng();
          send("POST", "/api/move", {id: f.id, lon: p.lng, lat: p.lat});
        });
        m.on("click", function () { openPopup(f, m); });
        S.facLayer.addLayer(m);
      });
    });
  }

  function typeSelect(codes, chosen) {
    var sel = document.createElement("select");
    codes.forEach(function (c) {
      var o = document.createElement("option");
      o.value = c; o.textContent = typeInfo(c).label + " (" + c + ")";
      if (c === chosen) { o.selected = true; }
      sel.appendChild(o);
    });
    return sel;
  }

  function openPopup(f, marker) {
    var div = document.createElement("div");
    div.className = "wb-popup";
    var head = document.createElement("div");
    head.innerHTML = "<b>" + esc(f.name) + "</b><br>" + esc(typeInfo(f.type).label) + " · " + esc(f.id);
    div.appendChild(head);
    var codes = S.layers.types.map(function (t) { return t.code; });
    var close = document.createElement("button");
    close.textContent = L_("close"); close.className = "wb-close";
    close.onclick = function () { S.map.closePopup(); send("POST", "/api/close", {id: f.id}); };
    var r1 = document.createElement("div"); r1.className = "row"; r1.appendChild(close);
    var r2 = document.createElement("div"); r2.className = "row";
    var retype = typeSelect(codes, f.type); retype.className = "wb-retype-type";
    var go2 = document.createElement("button"); go2.textContent = L_("apply"); go2.className = "wb-retype";
    go2.onclick = function () { S.map.closePopup(); send("POST", "/api/retype", {id: f.id, type: retype.value}); };
    r2.appendChild(document.createTextNode(L_("retype") + " ")); r2.appendChild(retype); r2.appendChild(go2);
    var r3 = document.createElement("div"); r3.className = "row";
    var role = typeSelect(codes, codes.indexOf("ems_station") >= 0 ? "ems_station" : codes[0]);
    role.className = "wb-designate-role";
    var go3 = document.createElement("button"); go3.textContent = L_("apply"); go3.className = "wb-designate";
    go3.onclick = function () { S.map.closePopup(); send("POST", "/api/designate", {id: f.id, role: role.value}); };
    r3.appendChild(document.createTextNode(L_("designate") + " ")); r3.appendChild(role); r3.appendChild(go3);
    [r1, r2, r3].forEach(function (r) { div.appendChild(r); });
    L.popup({maxWidth: 420}).setLatLng(marker.getLatLng()).setContent(div).openOn(S.map);
  }

  function onMapClick(e) {
    if (S.mode !== "add") { return; }
    S.clickAt = e.originalEvent ? e.originalEvent.timeStamp : performance.now();
    setMode(null);
    send("POST", "/api/add", {type: $("add-type").value, lon: e.latlng.lng, lat: e.latlng.lat});
  }

  function setMode(mode) {
    S.mode = mode;
    $("map").classList.toggle("adding", mode === "add");
    $("add-btn").classList.toggle("on", mode === "add");
    $("msg").textContent = mode === "add" ? L_("adding") : "";
  }

  function drawProposals() {
    S.propLayer.clearLayers();
    var list = $("proposals");
    list.innerHTML = "";
    S.proposals.forEach(function (p) {
      var li = document.createElement("li");
      li.className = "wb-prop";
      li.dataset.key = p.key;
      li.appendChild(document.createTextNode(L_("proposal", {rank: p.rank}) + " · " + p.township + " · +" +
        fmtInt(p.newly_covered) + " " + L_("people") + " → " + fmtShare(p.cumulative_share) + " "));
      [["accept", "/api/accept"], ["reject", "/api/reject"]].forEach(function (a) {
        var b = document.createElement("button");
        b.textContent = L_(a[0]); b.className = "wb-" + a[0];
        b.onclick = function () {
          send("POST", a[1], {key: p.key}, function (res) {
            S.proposals = res.proposals; drawProposals();
            if (res.kind === "update") { applyUpdate(res); }
          });
        };
        li.appendChild(b);
      });
      list.appendChild(li);
      L.marker([p.lat, p.lon], {interactive: false, icon: L.divIcon({
        className: "wb-proposal", iconSize: [22, 22], html: "<div>" + p.rank + "</div>"})}).addTo(S.propLayer);
    });
  }

  // ------------------------------------------------------------------ panel

  function fmtInt(v) { return v === null || v === undefined ? "–" : Math.round(v).toLocaleString("en-US"); }
  function fmtShare(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; }
  function fmtMin(v) { return v === null || v === undefined ? "–" : v.toFixed(1); }
  function fmtSigned(v, f) {
    if (v === null || v === undefined) { return "–"; }
    return (v > 0 ? "+" : "") + f(v);
  }

  function buildPanel() {
    var lay = S.layers;
    document.title = L_("title") + " · " + lay.title;
    $("title").textContent = L_("title") + " · " + lay.title;
    document.querySelectorAll("[data-l]").forEach(function (el) { el.textContent = L_(el.dataset.l); });
    var notes = lay.assumptions || [];  // what the numbers rest on, as every output says
    $("assumptions").querySelector("summary").textContent = L_("assumptions") + " (" + notes.length + ")";
    $("assumptions").querySelector("ul").innerHTML = notes.map(function (n) {
      return "<li>" + esc(n) + "</li>"; }).join("");
    var list = $("standard-list");
    lay.standards.forEach(function (s) {
      var lab = document.createElement("label"), r = document.createElement("input");
      r.type = "radio"; r.name = "std"; r.value = s.name;
      r.onchange = function () { showStandard(s.name); };
      lab.appendChild(r);
      lab.appendChild(document.createTextNode(" " + s.label + " (" + s.name + ", " + s.minutes + " " +
                                              L_("minutes") + ")"));
      list.appendChild(lab);
    });
    var codes = lay.types.map(function (t) { return t.code; });
    var add = typeSelect(codes, codes.indexOf("township_health_center") >= 0 ? "township_health_center" : codes[0]);
    add.id = "add-type";
    $("add-type").replaceWith(add);
    $("add-btn").onclick = function () { setMode(S.mode === "add" ? null : "add"); };
    $("undo").onclick = function (e) { S.clickAt = e.timeStamp; send("POST", "/api/undo"); };
    $("redo").onclick = function (e) { S.clickAt = e.timeStamp; send("POST", "/api/redo"); };
    $("error-close").onclick = function () { $("error").hidden = true; };
    $("suggest-btn").onclick = function () {
      send("POST", "/api/suggest", {standard: S.std, k: Number($("k").value), model: $("model").value,
                                    type: $("suggest-type").value || null},
           function (res) { S.proposals = res.proposals; drawProposals(); });
    };
    $("scenario-name").oninput = saveLink;
    $("load").onchange = function (e) {
      var file = e.target.files[0];
      if (!file) { return; }
      file.text().then(function (text) {
        send("POST", "/api/scenario", {text: text, filename: file.name}, function (res) {
          applyState(res);
          $("msg").textContent = L_("loaded", {name: (res.scenario || {}).name || file.name});
        });
        e.target.value = "";
      });
    };
    $("export").disabled = !lay.export;
    $("export").onclick = function () {
      send("POST", "/api/export", {name: $("scenario-name").value || "workbench"}, function (res) {
        var same = res.differences.length ? L_("differs", {rows: res.differences.slice(0, 3).join("; ")})
                                          : L_("same");
        $("msg").textContent = L_("exported", {folder: res.folder, same: same});
        if (res.differences.length) { showError($("msg").textContent); }
      });
    };
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { setMode(null); }
      var tag = (e.target.tagName || "").toLowerCase();
      if (!(e.ctrlKey || e.metaKey) || tag === "input" || tag === "select") { return; }
      if (e.key === "z" && !e.shiftKey) { e.preventDefault(); send("POST", "/api/undo"); }
      if (e.key === "y" || (e.key === "Z" && e.shiftKey)) { e.preventDefault(); send("POST", "/api/redo"); }
    });
    var head = ["township", "population", "covered_population", "share", "share_change", "median",
                "gained", "lost", "status"];
    $("table").tHead.innerHTML = "<tr>" + head.map(function (k) {
      return "<th>" + esc(k === "status" ? L_("target") : L_(k)) + "</th>"; }).join("") + "</tr>";
    saveLink();
  }

  function saveLink() {
    var name = $("scenario-name").value || "workbench";
    $("save").href = "/api/scenario.toml?name=" + encodeURIComponent(name);
  }

  function suggestTypes() {
    var std = null;
    S.layers.standards.forEach(function (s) { if (s.name === S.std) { std = s; } });
    var want = $("add-type").value, types = std ? std.types : [];
    var sel = typeSelect(types, types.indexOf(want) >= 0 ? want : types[0]);
    sel.id = "suggest-type";
    $("suggest-type").replaceWith(sel);
  }

  function cell(v, text, cls) {
    return '<td data-v="' + (v === null || v === undefined ? "" : v) + '"' + (cls ? ' class="' + cls + '"' : "") +
      ">" + text + "</td>";
  }

  function rowHtml(r, target) {
    var status = r.meets === null ? "–" : L_(r.meets ? "meets" : "fails");
    var sc = r.share_change, cls = sc > 0 ? "up" : (sc < 0 ? "down" : "");
    return cell(null, esc(r.township)) + cell(r.population, fmtInt(r.population)) +
      cell(r.covered, fmtInt(r.covered)) + cell(r.share, fmtShare(r.share), r.meets === false ? "fail" : "pass") +
      cell(sc, fmtSigned(sc, function (v) { return (v * 100).toFixed(1) + "%"; }), cls) +
      cell(r.median, fmtMin(r.median)) +
      cell(r.newly_covered, r.newly_covered ? "+" + fmtInt(r.newly_covered) : "0", r.newly_covered ? "up" : "") +
      cell(r.lost, r.lost ? "−" + fmtInt(r.lost) : "0", r.lost ? "down" : "") +
      cell(null, esc(status), r.meets === false ? "fail" : "pass");
  }

  function renderTable(flash) {
    var t = S.tables[S.std];
    if (!t) { return; }
    var old = {};
    document.querySelectorAll("#table tbody tr").forEach(function (tr) { old[tr.dataset.town] = tr.dataset.sig; });
    $("table").tBodies[0].innerHTML = t.rows.map(function (r) {
      var sig = [r.covered, r.median].join("|");
      var cls = flash && old[r.township] !== undefined && old[r.township] !== sig ? ' class="flash"' : "";
      return '<tr data-town="' + esc(r.township) + '" data-sig="' + sig + '"' + cls + ">" + rowHtml(r, t.target) + "</tr>";
    }).join("");
    var a = L.extend({}, t.area, {township: L_("whole") + " " + t.area.township});
    $("table").tFoot.innerHTML = '<tr data-town="">' + rowHtml(a, t.target) + "</tr>";
    renderSummary(t);
  }

  function renderSummary(t) {
    var a = t.area, box = $("summary");
    if (!t.applicable && a.covered_before === null) {
      box.textContent = L_("na");
      return;
    }
    box.innerHTML = "<b>" + esc(L_("change")) + "</b>: " + esc(L_("covered_population")) + " " +
      fmtInt(a.covered_before) + " → " + fmtInt(a.covered) + " (" + fmtShare(a.share_before) + " → " +
      fmtShare(a.share) + ")" + ' · <span class="up">' + esc(L_("gained")) + " +" + fmtInt(a.newly_covered) +
      '</span> · <span class="down">' + esc(L_("lost")) + " −" + fmtInt(a.lost) + "</span> · " +
      esc(L_("median")) + " " + fmtMin(a.median_before) + " → " + fmtMin(a.median);
  }

  function styleTowns() {
    var t = S.tables[S.std];
    var rows = {};
    t.rows.forEach(function (r) { rows[r.township] = r; });
    S.townLayer.eachLayer(function (layer) {
      var st = townStyle(rows[layer.feature.properties.township], t.target);
      st.className = "wb-town";
      layer.setStyle(st);
    });
  }

  function paintCells(idx) {
    var b = S.bands[S.std];
    if (!b) { return; }
    if (idx) {
      idx.forEach(function (i) { S.cells[i].setStyle(bandStyle(b[i])); });
    } else {
      S.cells.forEach(function (c, i) { c.setStyle(bandStyle(b[i])); });
    }
  }

  function showStandard(name) {
    S.std = name;
    document.querySelectorAll("#standard-list input").forEach(function (r) { r.checked = r.value === name; });
    renderTable(false);
    styleTowns();
    paintCells(null);
    suggestTypes();
  }

  function setHistory(h) {
    S.history = h;
    $("undo").disabled = !h.can_undo;
    $("redo").disabled = !h.can_redo;
    $("undo").title = h.undo || "";
    $("redo").title = h.redo || "";
  }

  function timing(res) {
    var ms = res.engine_ms !== undefined ? res.engine_ms : res.server_ms;
    $("timing").textContent = L_("server_ms", {ms: (res.server_ms || ms).toFixed(1)});
  }

  function done() {
    S.version += 1;
    var clickAt = S.clickAt;
    S.clickAt = null;
    var version = S.version;
    // after the frame that draws the new table (rAF, then a task after that paint)
    requestAnimationFrame(function () {
      setTimeout(function () {
        if (clickAt) { window.wbClickToTable = performance.now() - clickAt; }
        document.body.dataset.version = String(version);
      }, 0);
    });
  }

  function applyState(st) {
    S.fac = {};
    st.facilities.forEach(function (f) { S.fac[f.id] = f; });
    S.bands = st.bands;
    S.tables = st.tables;
    S.proposals = st.proposals || [];
    setHistory(st.history);
    refreshMarkers();
    drawProposals();
    showStandard(S.std || S.layers.map_standard);
    timing(st);
    done();
  }

  function applyUpdate(u) {
    if (u.kind === "state") { applyState(u); return; }
    u.facilities.forEach(function (f) { S.fac[f.id] = f; });
    Object.keys(u.cells).forEach(function (name) {
      var b = S.bands[name], c = u.cells[name];
      c.idx.forEach(function (i, k) { b[i] = c.band[k]; });
    });
    S.tables = u.tables;
    setHistory(u.history);
    if (u.proposals) { S.proposals = u.proposals; drawProposals(); }
    refreshMarkers();
    renderTable(true);
    styleTowns();
    paintCells(u.cells[S.std] ? u.cells[S.std].idx : []);
    timing(u);
    done();
  }

  // ------------------------------------------------------------------ start

  Promise.all([api("GET", "/api/layers"), api("GET", "/api/state")]).then(function (got) {
    S.layers = got[0];
    buildPanel();
    buildMap();
    applyState(got[1]);
    S.map.invalidateSize();
    S.map.fitBounds(S.layers.bounds, {padding: [8, 8]});
    document.body.dataset.ready = "1";
  }).catch(function (e) {
    S.layers = S.layers || {labels: {}};
    showError(e.message);
  });
})();
