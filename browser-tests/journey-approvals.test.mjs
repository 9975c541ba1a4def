// Journey (SR-02, accounts need a second person): a school administrator adds a teacher.
// Nobody is shown a passphrase: the account waits for approval, because a teacher reads
// children's SEN records and the administrator does not. The school's SENCO finds it from
// their home page under "Waiting for your approval" and approves it, and the invitation is
// sent. Run with JavaScript on (axe on every page, no page errors) and off, each pass with
// its own new account.
import { describe, test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  startSenco, newBrowserContext, closeBrowser, signIn, checkAccessibility,
  step, trackPageErrors, assertNoPageErrors
} from './lib/harness.mjs'

describe('journey: an account approved by a second person', () => {
  let app

  before(async () => {
    app = await startSenco()
  }, { timeout: 360_000 })

  after(async () => {
    await closeBrowser()
    await app?.stop()
  })

  for (const [index, javaScriptEnabled] of [true, false].entries()) {
    const mode = javaScriptEnabled ? 'JavaScript on' : 'JavaScript off'

    test(`a teacher's account waits for the SENCO's approval (${mode})`, { timeout: 240_000 }, async () => {
      const admin = app.accounts.find(a => a.role === 'school_admin' &&
        app.accounts.some(s => s.role === 'senco' && s.school_urn === a.school_urn))
      assert.ok(admin, 'the demo data has a school administrator at a school with a SENCO')
      const senco = app.accounts.find(s => s.role === 'senco' && s.school_urn === admin.school_urn)
      const name = `New Teacher ${index}`
      const email = `new.teacher.${index}@journey.example`

      const context = await newBrowserContext({ javaScriptEnabled })
      const page = await context.newPage()
      if (javaScriptEnabled) trackPageErrors(page)
      const a11y = async (p, label) => { if (javaScriptEnabled) await checkAccessibility(p, `approvals-${label}-js`) }
      try {
        await step(page, `${mode} the school administrator adds a teacher`, async () => {
          await signIn(page, admin)
          await page.goto('/admin/users/new')
          await page.getByLabel('Full name').fill(name)
          await page.getByLabel('Email address').fill(email)
          await page.getByLabel('Role').selectOption('teacher')
          await page.getByLabel('School').selectOption(String(admin.school_urn))
          await page.getByRole('button', { name: 'Add a user' }).click()
          await page.getByRole('heading', { name: 'Account waiting for approval' }).waitFor()
          const text = await page.locator('main').innerText()
          assert.match(text, /a second person must approve it/)
          assert.doesNotMatch(text, /passphrase:/i, 'no credential is shown')
          await a11y(page, 'requested')
        })
        if (javaScriptEnabled) assertNoPageErrors(page)
      } finally {
        await context.close()
      }

      const sc = await newBrowserContext({ javaScriptEnabled })
      const sp = await sc.newPage()
      if (javaScriptEnabled) trackPageErrors(sp)
      try {
        await step(sp, `${mode} the SENCO approves it`, async () => {
          await signIn(sp, senco)
          await sp.goto('/')
          await sp.getByRole('link', { name: 'Waiting for your approval' }).click()
          await sp.waitForURL(url => url.pathname === '/admin/approvals')
          const row = sp.locator('#accounts').getByRole('row', { name: new RegExp(name) })
          assert.match(await row.innerText(), new RegExp(email.replace(/\./g, '\\.')))
          await a11y(sp, 'list')
          await row.getByRole('button', { name: new RegExp(`Approve.*${name}`) }).click()
          await sp.waitForURL(url => url.pathname === '/admin/approvals')
          assert.match(await sp.locator('main').innerText(), /Approved\. An invitation has been emailed/)
          assert.equal(await sp.locator('#accounts').getByRole('row', { name: new RegExp(name) }).count(), 0)
          await a11y(sp, 'approved')
        })
        if (javaScriptEnabled) assertNoPageErrors(sp)
      } finally {
        await sc.close()
      }
    })
  }
})
