// The page at `/`: owners with their pets, and a form that adds a pet. It
// only calls the JSON API (GET /owners?include=pets, POST /pets).
#pragma once

namespace petshop {

inline constexpr const char* page_html = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>petshop</title>
<style>
  body { font-family: sans-serif; max-width: 40rem; margin: 2rem auto; }
  li.owner { margin-top: .5rem; font-weight: bold; }
  li.pet { font-weight: normal; }
  #error { color: #b00; }
</style>
</head>
<body>
<h1>petshop</h1>
<p>Owners and their pets, from <code>GET /owners?include=pets</code>.</p>
<ul id="owners"><li>loading...</li></ul>
<form id="add-pet">
  <label>Pet <input id="pet-name" name="name" required maxlength="50"></label>
  <label>Owner <select id="pet-owner" name="owner_id"></select></label>
  <button type="submit" id="add">Add pet</button>
</form>
<p id="error"></p>
<script>
async function api(method, path, body) {
  const response = await fetch(path, {
    method, headers: {"Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined});
  const data = response.status === 204 ? null : await response.json();
  if (!response.ok) throw new Error(data && data.error ? data.error : response.statusText);
  return data;
}
function text(tag, className, content) {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = content;
  return node;
}
async function load() {
  const page = await api("GET", "/owners?include=pets&per_page=100");
  const list = document.getElementById("owners");
  const select = document.getElementById("pet-owner");
  list.replaceChildren();
  select.replaceChildren();
  for (const owner of page.items) {
    const item = text("li", "owner", owner.name);
    const pets = document.createElement("ul");
    for (const pet of owner.pets) pets.appendChild(text("li", "pet", pet.name));
    item.appendChild(pets);
    list.appendChild(item);
    const option = text("option", "", owner.name);
    option.value = owner.id;
    select.appendChild(option);
  }
}
document.getElementById("add-pet").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = document.getElementById("pet-name").value;
  const owner_id = Number(document.getElementById("pet-owner").value);
  try {
    await api("POST", "/pets", {name, owner_id});
    document.getElementById("pet-name").value = "";
    document.getElementById("error").textContent = "";
    await load();
  } catch (e) {
    document.getElementById("error").textContent = e.message;
  }
});
load().catch((e) => { document.getElementById("error").textContent = e.message; });
</script>
</body>
</html>
)html";

}  // namespace petshop
