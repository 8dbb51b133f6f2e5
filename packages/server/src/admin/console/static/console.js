// Handset operator console: progressive enhancement only; every page works without it.
// Forms marked data-confirm ask before they submit (revoking keys, disabling a client).
document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
